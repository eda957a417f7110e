"""The knowledge base (知識庫): articles agents answer consultations from, their search, and their history."""
