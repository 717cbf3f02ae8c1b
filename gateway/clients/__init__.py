"""Client keys and what each key may do."""
