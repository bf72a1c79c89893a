"""The local web UI served by `fieldledger serve`: the laptop's owner unlocks the vault, the
team logs in from phones with web accounts that never unwrap it.

    accounts    web accounts: names, roles, Argon2id password hashes (in the vault)
    limits      login rate limits, checked before any hashing runs
    sessions    server-side sessions, idle lock, CSRF tokens
    tls         the workspace's self-signed certificate for HTTPS beyond loopback
    app         the Starlette application: security headers, the route table with each
                route's roles, rendering
    pages/      the screens
"""
