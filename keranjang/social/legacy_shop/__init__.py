"""The legacy in-app shop: what social was before Permendag 31/2023, a social app that was also a
shop. Sellers, their products and stock, buyers' addresses and carts, in-app checkout, orders,
payments taken by social itself through a payment partner, escrow and payable balances, and the
sellers' tools, all in social's own database.

It is the very violation of Pasal 21(3) (payments inside the social app) and Pasal 13 (shop and
buyer data mixed with the social system) that the migration removes, merchant by merchant, while
they keep selling. It is kept real so the migration has a live source and the regulator's monitor
a real violation to watch shrink.

Only social's app composition (`keranjang.social.app`) mounts it; promotion (feed, pins, the
yellow cart) never imports it. Switched off (`KERANJANG_SOCIAL_LEGACY_SHOP=false`) its routes
answer 410 and send buyers to commerce.

Modules: `domain` (order rules and the error tree), `listings` (what sellers register and list),
`ledger` (the escrow journal's entries), `db` (tables), `books` (the journal in the database),
`views` (what use cases answer), `selling`, `buying`, `checkout`, `paying`, `evidence` (use
cases), `catalog` (public product data for promotion), `partner` (the payment partner as social
asks it), `service` (composition), `schemas`, `api` and `seller_api` (HTTP).
"""
