"""The gRPC service (``delta serve``): servicer, server assembly and pluggable backends.

Importing this package imports grpc; the CLI only does so inside ``delta serve``.
"""
