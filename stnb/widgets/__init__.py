"""stnb.widgets"""
