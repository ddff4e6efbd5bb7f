"""The foundation every part of Baogong builds on, and that imports none of them: database
types, the city's clock, text and language helpers, errors services raise, form and query
helpers, pagination, the navigation and "waiting" registries, spreadsheet reading."""
