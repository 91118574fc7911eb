"""Keranjang: social commerce that keeps promotion and transactions in separate systems."""

__version__ = "0.1.0"
