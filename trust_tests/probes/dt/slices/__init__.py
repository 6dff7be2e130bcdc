"""One module per DecodingTrust dimension (a `DTSlice` subclass each); slice.py imports them all to register them."""
