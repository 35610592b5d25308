"""The router's request path, one module per stage, in the order a request meets them.

    receive      HTTP request → GraphQL request; media type, body size      receive.py
    persisted    APQ hashes → documents                                    persisted.py
    parse        text → document (cached with validation)                  parse.py
    validate     document against the API schema; the operation to run     validate.py
    limits       operation limits, before any planning                     limits.py
    authorize    fields the identity may not see                           authorize.py
    plan         query plan and response shaper (cached)                   plan.py
    execute      variables, fetches, introspection                         execute.py
    respond      shaped body and the HTTP response                         respond.py

``router.gateway`` is the conductor that runs them; plugins (``router.plugins``) hook in
between. Helpers used by one stage live beside it: ``cache`` (bounded LRU), ``headers``
(header propagation rules), ``overrides`` (progressive-override labels), ``introspection``
and ``typename_aliases``.
"""
