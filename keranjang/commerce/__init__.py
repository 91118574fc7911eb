"""Commerce: the shop back-end. Every transaction happens here, in its own database."""
