"""stnb.usage"""
