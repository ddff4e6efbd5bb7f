"""Users, roles, sign-in and the role guard."""
