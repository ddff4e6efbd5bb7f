"""`flask seed-demo`: a demo city (Shaoguan) told through the same services a person uses.

`seed` makes the users and calls the others in order: `stock` (grades, lots and forty days of
movements), `procurement` (suppliers, purchases, certificates, inspections), `recipients` and
`rounds` (requests and plans). Demo only: the passwords are public."""
