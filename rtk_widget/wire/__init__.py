"""RealtimeKit's wire protocol: protobuf messages, event numbers, error codes.

Shared by the embedded server and the Python client. The ``*_pb2`` modules are
generated from the ``.proto`` files here at install time.
"""
