"""Word lists for demo records: people, streets, towns per state, companies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "BUSINESS_SUFFIXES",
    "BUSINESS_WORDS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "STREET_NAMES",
    "STREET_SUFFIXES",
    "TOWNS",
    "Town",
]

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Karen", "Christopher", "Sarah",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Sandra", "Anthony", "Betty", "Mark", "Ashley",
    "Donald", "Emily", "Steven", "Kimberly", "Andrew", "Margaret", "Paul", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie",
    "Jason", "Rebecca", "George", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Amy",
    "Jacob", "Kathleen", "Nicholas", "Angela", "Gary", "Shirley", "Eric", "Brenda", "Jonathan", "Emma",
    "Stephen", "Anna", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Samantha", "Brandon", "Katherine",
    "Benjamin", "Christine", "Samuel", "Helen", "Gregory", "Debra", "Alexander", "Rachel", "Patrick",
    "Carolyn",
    "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry", "Diane",
    "Tyler", "Julie", "Aaron", "Joyce", "Jose", "Victoria", "Adam", "Ruth", "Nathan", "Virginia",
    "Henry", "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Joan", "Kyle", "Evelyn",
    "Noah", "Judith", "Ethan", "Andrea", "Jeremy", "Hannah", "Walter", "Megan", "Christian", "Cheryl",
    "Keith", "Jacqueline", "Roger", "Martha", "Terry", "Madison", "Austin", "Teresa", "Sean", "Gloria",
    "Priya", "Wei", "Mohammed", "Aisha", "Hiroshi", "Sofia", "Mateo", "Camila", "Luis", "Ana",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
    "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "O'Brien", "McCarthy", "Kowalski", "Schmidt", "Rossi", "Novak", "Yamamoto", "Chen", "Singh", "Okafor",
)  # fmt: skip

STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Walnut", "Chestnut", "Willow", "Birch", "Spruce",
    "Washington", "Lincoln", "Jefferson", "Madison", "Franklin", "Adams", "Jackson", "Monroe", "Hamilton",
    "Grant",
    "Park", "Lake", "Hill", "River", "Sunset", "Highland", "Meadow", "Forest", "Spring", "Valley",
    "Church", "Mill", "School", "Union", "Center", "Prospect", "Summit", "Ridge", "Orchard", "Harbor",
    "Main", "High", "Broad", "Market", "Water", "Bridge", "Railroad", "Academy", "Liberty", "Pleasant",
)  # fmt: skip

STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Ter")

BUSINESS_WORDS = (
    "Summit", "Harbor", "Evergreen", "Pinnacle", "Riverside", "Keystone", "Liberty", "Cornerstone", "Granite",
    "Lakeside", "Heritage", "Northgate", "Sterling", "Oakwood", "Crescent", "Beacon", "Meridian", "Parkview",
    "Westfield", "Brookside", "Union", "Atlas", "Horizon", "Redwood", "Silverline", "Ironbridge", "Bayview",
)  # fmt: skip

BUSINESS_SUFFIXES = (
    "Property Management", "Dental Group", "Apartments", "Family Restaurant", "Medical Center", "Realty",
    "Self Storage", "Auto Care", "Church", "Elementary School", "Fitness", "Hotel", "Office Park", "Bakery",
    "Veterinary Clinic", "Law Offices", "Supermarket", "Brewing Co.", "Community Center", "Condominiums",
)  # fmt: skip


class Town(NamedTuple):
    city: str
    state: str
    zip_prefix: str
    latitude: float
    longitude: float


_TOWN_DATA: Mapping[str, tuple[tuple[str, str, float, float], ...]] = {
    "NY": (
        ("White Plains", "106", 41.034, -73.763), ("Yonkers", "107", 40.931, -73.899),
        ("New Rochelle", "108", 40.911, -73.782), ("Scarsdale", "105", 40.989, -73.808),
        ("Mount Vernon", "105", 40.913, -73.837), ("Tarrytown", "105", 41.076, -73.859),
        ("Port Chester", "105", 41.002, -73.666), ("Rye", "105", 40.981, -73.684),
        ("Ossining", "105", 41.163, -73.861), ("Peekskill", "105", 41.290, -73.920),
    ),
    "NJ": (
        ("Hackensack", "076", 40.886, -74.043), ("Paramus", "076", 40.945, -74.075),
        ("Teaneck", "076", 40.898, -74.016), ("Fort Lee", "070", 40.851, -73.970),
        ("Englewood", "076", 40.893, -73.973), ("Ridgewood", "074", 40.979, -74.117),
    ),
    "CT": (
        ("Stamford", "069", 41.053, -73.539), ("Greenwich", "068", 41.026, -73.628),
        ("Norwalk", "068", 41.118, -73.408), ("Danbury", "068", 41.394, -73.454),
    ),
    "CA": (
        ("Pasadena", "911", 34.148, -118.144), ("Glendale", "912", 34.143, -118.255),
        ("Burbank", "915", 34.181, -118.309), ("Santa Monica", "904", 34.019, -118.491),
        ("Torrance", "905", 33.836, -118.341), ("Long Beach", "908", 33.770, -118.194),
        ("Anaheim", "928", 33.836, -117.914), ("Irvine", "926", 33.684, -117.826),
    ),
    "NV": (("Las Vegas", "891", 36.170, -115.140), ("Henderson", "890", 36.040, -114.982)),
    "IL": (
        ("Naperville", "605", 41.750, -88.153), ("Evanston", "602", 42.045, -87.688),
        ("Schaumburg", "601", 42.033, -88.083), ("Oak Park", "603", 41.885, -87.785),
        ("Aurora", "605", 41.761, -88.320), ("Joliet", "604", 41.525, -88.082),
    ),
    "WI": (("Kenosha", "531", 42.585, -87.821), ("Racine", "534", 42.726, -87.783)),
    "IN": (("Gary", "464", 41.593, -87.346), ("Hammond", "463", 41.583, -87.500)),
}  # fmt: skip

TOWNS: Mapping[str, tuple[Town, ...]] = {
    state: tuple(Town(city, state, zp, lat, lon) for city, zp, lat, lon in towns)
    for state, towns in _TOWN_DATA.items()
}
