"""ConcernDesk core, never importing Qt. Packages, arrows pointing down (docs/architecture.md):

    cli/, demo/                     the headless commands; the demo school
    hub/                            replication among a school's PCs, joining a school
    delivery/                       outbox, services, identity and team keys, referral delivery
    pack/                           the referral pack (render, and assembly from the domain)
    domain/                         pupils, concerns, chronology, flags, referrals, search
    store/         protocol/        the encrypted store, keys, audit | the wire format
    errors clock uktime paths atomic identifiers      small shared ground
    wording body_regions
"""

__version__ = "0.1.0"
