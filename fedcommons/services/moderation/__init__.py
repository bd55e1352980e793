"""What a node's operator keeps out: blocked domains and actors."""
