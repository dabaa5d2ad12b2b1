"""Outgoing signed webhooks: subscriptions, deliveries built from the event log, the sender, the SSRF guard.

- `ssrf`: which URLs may be called (checked on save, before each send and on each redirect hop)
- `signing`: secrets and the HMAC signature
- `catalog`: the event types one can subscribe to
- `client`: one HTTP POST to a checked address, with timeouts and a bounded response
- `delivery`: build the body, claim a delivery with a lease, send, log the attempt, back off, sweep
- `services`: the administrators' writes (subscriptions, secret rotation, replay)
- `consumer`: the event-log consumer that writes one delivery per (event, subscription)
"""
