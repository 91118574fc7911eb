"""Social: creators, content, product pins and the yellow cart. It promotes; it never takes payment."""
