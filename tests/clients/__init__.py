"""Small Suno clients, each correct and with one realistic bug, for the client-kit table (docs/clients.md)."""
