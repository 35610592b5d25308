"""orders: products, stock and customer orders."""
