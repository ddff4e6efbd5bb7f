"""What every part of Baogong shares: home page, language switch, navigation, errors, demo seed."""
