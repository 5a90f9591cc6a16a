"""The meeting socket at ``/ws``: handshake, dispatch, room and chat events, fan-out."""
