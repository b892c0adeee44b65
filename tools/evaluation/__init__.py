"""End-to-end evaluation: questions sent as a citizen sends them, replies read as a citizen reads them."""
