"""What the route handlers call: one module per resource, no HTTP in here but its errors."""
