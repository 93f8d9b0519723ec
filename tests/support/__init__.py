"""What the tests share: constants and helpers, the served mock, a Redis server, a browser."""
