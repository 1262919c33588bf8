"""The service's composition: the app and the runtime that wires the workers, the HTTP API and
its auth, the live map, the CLI, the embedded servers and the demo."""
