"""stnb.sandbox"""
