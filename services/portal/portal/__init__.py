"""The portal (门户): people sign in and work here; every domain read and write goes through the services."""
