"""What a generated MSP is made of: skills, work templates, recurring blocks, windows, names.

Plain data, kept apart from the draws (`scenarios.draw`) so that the vocabulary of a
realistic MSP (which skills are common, which projects, maintenance and requests each skill
brings, the recurring blocks, the customers' windows, the names of people and companies)
can be read and extended in one place.
"""

from __future__ import annotations

Span = tuple[int, int]

# -- the catalogue: skills (with how common they are) and work templates per skill ----------
SKILLS = {"m365": 5, "client": 5, "server": 5, "network": 4, "onboarding": 3, "firewall": 3,
          "backup": 3, "security": 3, "datev": 2, "cloud": 2, "linux": 2, "voip": 1}
PROJECTS: dict[str, list[tuple[str, list[str]]]] = {
    "m365": [("M365 migration", ["Tenant setup", "Identity sync", "Mailbox migration",
                                 "Teams and SharePoint", "File shares to SharePoint",
                                 "User training", "Exchange decommission"])],
    "client": [("Client refresh", ["Image and Autopilot profile", "Pilot devices",
                                   "Rollout wave", "Collect old devices"])],
    "server": [("Server lift & shift", ["Host staging", "VM migration", "Application tests",
                                        "Decommission the old host"]),
               ("Database migration", ["Compatibility analysis", "New SQL Server VM",
                                       "Test migration", "Application test",
                                       "Production cutover", "Cleanup"])],
    "network": [("Switch and Wi-Fi refresh", ["Site survey", "Switch staging", "Switch rollout",
                                              "Access point rollout", "Guest VLAN"])],
    "onboarding": [("New customer takeover", ["Documentation", "Monitoring agents",
                                              "Password rotation", "Handover meeting"])],
    "firewall": [("Firewall replacement", ["Rule base analysis", "Pre-configuration",
                                           "Site-to-site VPN", "Cutover", "Remote access VPN",
                                           "Documentation"])],
    "backup": [("Backup modernisation", ["Design", "Backup server", "Offsite copy",
                                         "Restore test"])],
    "security": [("NIS2 readiness", ["Asset inventory", "Gap analysis", "Measures roadmap",
                                     "Policy workshop"])],
    "datev": [("DATEV DMS rollout", ["DMS setup", "Configuration", "Archive import",
                                     "User training"])],
    "cloud": [("Azure landing zone", ["Design", "Landing zone deployment", "Workload migration",
                                      "Cost review"])],
    "linux": [("Web platform migration", ["Server build", "Configuration management",
                                          "Migration", "Cutover"])],
    "voip": [("Phone system migration", ["Number porting", "System setup", "Phone rollout",
                                         "Go-live support"])],
}
MAINTENANCE: dict[str, list[tuple[str, tuple[int, ...]]]] = {
    "m365": [("M365 Secure Score actions", (120, 180))],
    "client": [("Windows feature update", (120, 180, 240)), ("Plotter firmware", (60,))],
    "server": [("Hypervisor patches and reboot", (120, 180)), ("UPS battery test", (60, 120)),
               ("SQL Server cumulative update", (60, 120))],
    "network": [("Switch firmware update", (60, 120, 180)), ("Access point firmware", (60, 120))],
    "onboarding": [("Review of the user list", (60,))],
    "firewall": [("Firewall firmware update", (60, 90, 120))],
    "backup": [("NAS firmware and disk check", (60, 90)), ("Backup software upgrade", (60, 120))],
    "security": [("Endpoint protection upgrade", (60, 120)), ("Certificate renewal", (60,))],
    "datev": [("DATEV update", (90, 120, 180))],
    "cloud": [("Cloud tenant review", (120, 180))],
    "linux": [("Linux server patches", (60, 120))],
    "voip": [("Phone system update", (60, 120))],
}
# (name pattern, effort minutes, lead time in working days, priority)
REQUESTS: dict[str, list[tuple[str, int, int, int]]] = {
    "m365": [("Shared mailbox {dept}", 45, 2, 3), ("Mailbox delegation for {person}", 30, 1, 3),
             ("MFA reset for {person}", 30, 1, 2), ("Teams team for {project}", 30, 2, 4)],
    "client": [("New laptop for {person}", 180, 5, 3), ("Printer setup {room}", 60, 3, 4),
               ("Install {software} for {person}", 60, 2, 4)],
    "server": [("File share permission for {person}", 30, 1, 4),
               ("New file share for {dept}", 60, 3, 3)],
    "network": [("Switch port and VLAN change {room}", 90, 3, 3),
                ("Guest Wi-Fi for an event", 60, 2, 3)],
    "onboarding": [("Onboarding {person}", 120, 5, 3), ("Offboarding {person}", 60, 3, 3)],
    "firewall": [("Firewall rule change for {app}", 30, 2, 3),
                 ("VPN access for {person}", 45, 2, 3)],
    "backup": [("Restore deleted folder {dept}", 60, 1, 2),
               ("Restore a mailbox item for {person}", 45, 1, 2)],
    "security": [("Phishing mail analysis", 60, 1, 2), ("Access rights review", 240, 5, 4)],
    "datev": [("DATEV user rights for {person}", 60, 3, 3)],
    "cloud": [("Storage account for {app}", 90, 3, 3)],
    "linux": [("Web server vhost for {app}", 120, 3, 3)],
    "voip": [("New phone extension for {person}", 45, 2, 3)],
}
WORDS = {
    "dept": ["Buchhaltung", "Einkauf", "Vertrieb", "Personal", "Service", "Rezeption"],
    "room": ["1st floor", "reception", "office 2.14", "meeting room", "workshop"],
    "software": ["Adobe Acrobat", "7-Zip", "Zoom client", "Notepad++", "a CAD viewer"],
    "project": ["Neubau Halle 3", "Messe 2026", "ISO 9001", "Umzug"],
    "app": ["the ERP", "the web shop", "the HR portal", "the vendor jump host"],
}
# (name, skill, rule, weekdays the hours must hold the block on, local time span)
RECURRING: list[tuple[str, str | None, str, tuple[int, ...], Span]] = [
    ("Patch day", "server", "FREQ=WEEKLY;BYDAY=TU", (1,), (840, 960)),
    ("Patch day", "server", "FREQ=WEEKLY;BYDAY=WE", (2,), (780, 900)),
    ("Client patching", "client", "FREQ=WEEKLY;BYDAY=TH", (3,), (780, 900)),
    ("Vulnerability scan review", "security", "FREQ=WEEKLY;BYDAY=MO", (0,), (540, 660)),
    ("Backup restore test", "backup", "FREQ=MONTHLY;BYDAY=1WE", (2,), (600, 780)),
    ("Firewall log review", "firewall", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", (4,), (600, 660)),
    ("M365 licence review", "m365", "FREQ=MONTHLY;BYDAY=-1TH", (3,), (780, 900)),
    ("IT jour fixe", None, "FREQ=MONTHLY;BYDAY=2TH", (3,), (600, 690)),
]
# maintenance windows: (weekdays, span); a span past 24:00 crosses midnight
WINDOWS: list[tuple[tuple[int, ...], Span]] = [
    ((0, 1, 2, 3, 4), (1080, 1320)), ((5,), (480, 720)), ((1, 3), (1320, 1560)),
    ((2,), (780, 1020)), ((4,), (720, 960)),
]
FIRST_NAMES = ["Anna", "Ben", "Clara", "Deniz", "Eva", "Felix", "Greta", "Hannes", "Ines", "Jonas",
               "Katrin", "Lukas", "Mara", "Niklas", "Olga", "Paul", "Rita", "Sven", "Tina", "Uwe"]
LAST_NAMES = ["Berg", "Krause", "Schmid", "Yilmaz", "Hoffmann", "Wagner", "Becker", "Fischer",
              "Neumann", "Richter", "Wolf", "Schulz", "Huber", "Maier", "Keller", "Lang", "Brandl",
              "Weber", "Bauer", "Seidl", "Graf", "Vogt", "Roth", "Kaiser"]
COMPANY_KINDS = ["Maschinenbau GmbH", "Steuerberatung", "Logistik GmbH", "Autohaus",
                 "Zahnarztpraxis", "Hotel", "Architekten", "Bäckerei", "Elektro GmbH",
                 "Rechtsanwälte", "Metallbau KG", "Pflegedienst", "Druckerei"]
