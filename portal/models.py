"""Models arrive with the capability issues that own them."""
