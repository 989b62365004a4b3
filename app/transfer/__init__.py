"""A child's protection file when the child moves school (issue #19, docs/transfer.md): the DSL
team's leavers and when each file is due (``leaving``), the transfers with their statuses
(``model``), the encrypted pack for a school on another product with its receipt slip
(``outgoing``, ``slip``), a file received from another product (``incoming``) and what the
school keeps of a file it sent (``retention``). Above the pack, whose chronology it sends."""
