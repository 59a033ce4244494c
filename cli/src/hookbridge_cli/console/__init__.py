"""`hookbridge console`: a web page over a stack, served on 127.0.0.1 to the one person who has its address.

``access`` admits a request (the token, then its session cookie) and refuses cross-site changes; ``pages``
renders what the other commands read, through the same modules (records, stored, dlq, health, bus_tap);
``live`` keeps the bus tap behind the live page.
"""
