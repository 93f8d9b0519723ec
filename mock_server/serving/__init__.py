"""How the mock is served: granian's HTTP server, the bridge to the Flask app, the limits, the log writer."""
