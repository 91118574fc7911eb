"""Infrastructure shared by the services: no business logic lives here."""
