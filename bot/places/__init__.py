"""Every place in China by its administrative code, and the places named in a message.

`find_place("长春朝阳区的")` → 吉林省长春市朝阳区 (220104, county); `whereabouts(text)` tells where the
person is now from where they come from. The tree loads once per process, on first use (about 1 s).
"""

from bot.places.finder import PlaceNamed, Whereabouts, find_place, places_named, whereabouts
from bot.places.tree import LEVELS, Place, ancestors, is_within, place

__all__ = [
    "LEVELS",
    "Place",
    "PlaceNamed",
    "Whereabouts",
    "ancestors",
    "find_place",
    "is_within",
    "place",
    "places_named",
    "whereabouts",
]
