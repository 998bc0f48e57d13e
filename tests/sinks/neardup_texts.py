"""Realistic texts for the near-duplicate tests: one wire story as three outlets ran it, and other
stories on the same topic (a follow-up that reuses the background paragraph, a local angle quoting
the same official, an unrelated story). Written for these tests; names and places are invented.
"""

from __future__ import annotations

WIRE = """\
HARBOR CITY (AP) — Emergency crews worked through the night on Tuesday to reinforce a levee along \
the Calder River after three days of heavy rain pushed the water to its highest level in nearly \
forty years, officials said.

The river crested at 31.4 feet shortly after midnight, more than nine feet above flood stage, \
according to the National Weather Service. About 2,300 residents in the low-lying Eastbank and \
Millpond neighborhoods were ordered to leave their homes on Monday evening.

"We are asking people to take this seriously and to stay away from the water," Mayor Linda \
Okafor told reporters at a briefing outside City Hall. "The levee is holding, but it has been \
under enormous pressure for more than forty-eight hours."

Volunteers filled more than 60,000 sandbags at a municipal depot, and the state sent two National \
Guard units to help with evacuations and traffic control. Schools in the district will remain \
closed through Thursday.

The Red Cross opened shelters at Harbor City High School and the county fairgrounds, where about \
400 people spent the night. Officials said no deaths or serious injuries had been reported, \
although a man was rescued from the roof of his car on Route 9 after driving into a flooded \
underpass.

Forecasters expect the rain to ease by Wednesday afternoon, but warned that the river could stay \
above flood stage until the weekend as water from upstream tributaries continues to flow into \
the Calder.

The last comparable flood, in 1986, damaged more than 1,100 homes and led to the construction of \
the current levee system, which was upgraded in 2011 at a cost of $48 million.
"""

# Outlet 1 ran the wire copy almost as is, with its own slug and a newsletter call at the end.
REWRITE_1 = """\
HARBOR CITY — Emergency crews worked through the night on Tuesday to reinforce a levee along the \
Calder River after three days of heavy rain pushed the water to its highest level in nearly forty \
years, officials said.

The river crested at 31.4 feet shortly after midnight, more than nine feet above flood stage, \
according to the National Weather Service. About 2,300 residents in the low-lying Eastbank and \
Millpond neighborhoods were ordered to leave their homes Monday evening.

"We are asking people to take this seriously and to stay away from the water," Mayor Linda \
Okafor told reporters at a briefing outside City Hall. "The levee is holding, but it has been \
under enormous pressure for more than forty-eight hours."

Volunteers filled more than 60,000 sandbags at a municipal depot, and the state sent two National \
Guard units to help with evacuations and traffic control. Schools in the district will remain \
closed through Thursday.

The Red Cross opened shelters at Harbor City High School and the county fairgrounds, where about \
400 people spent the night. Officials said no deaths or serious injuries had been reported, \
although a man was rescued from the roof of his car on Route 9 after driving into a flooded \
underpass.

Forecasters expect the rain to ease by Wednesday afternoon, but warned that the river could stay \
above flood stage until the weekend as water from upstream tributaries continues to flow into \
the Calder.

The last comparable flood, in 1986, damaged more than 1,100 homes and led to the construction of \
the current levee system, which was upgraded in 2011 at a cost of $48 million.

Get the day's top stories in your inbox every morning. Sign up for our free newsletter.
"""

# Outlet 2 edited it: a new first sentence, words changed in places, the last paragraph cut, its
# own credit line and a "related" block left over by the cleaner.
REWRITE_2 = """\
Crews spent Tuesday night shoring up a levee on the Calder River in Harbor City, after three days \
of heavy rain pushed the water to its highest level in nearly forty years, officials said.

The river crested at 31.4 feet just after midnight, more than nine feet above flood stage, \
according to the National Weather Service. Some 2,300 residents in the low-lying Eastbank and \
Millpond neighborhoods were ordered to leave their homes on Monday evening.

"We are asking people to take this seriously and to stay away from the water," Mayor Linda \
Okafor said at a briefing outside City Hall. "The levee is holding, but it has been under \
enormous pressure for more than forty-eight hours."

Volunteers filled more than 60,000 sandbags at a city depot, and the state sent two National \
Guard units to help with evacuations and traffic control. Schools in the district will remain \
closed through Thursday.

The Red Cross opened shelters at Harbor City High School and the county fairgrounds, where about \
400 people spent the night. Officials said no deaths or serious injuries had been reported, \
although a man was rescued from the roof of his car on Route 9 after he drove into a flooded \
underpass.

Forecasters expect the rain to ease by Wednesday afternoon, but warned that the river could stay \
above flood stage until the weekend as water from upstream tributaries keeps flowing into the \
Calder.

Copyright 2024 The Associated Press. All rights reserved. This material may not be published, \
broadcast, rewritten or redistributed.

Related: Photos from the flooded Eastbank neighborhood
"""

# Same topic, a different story: the next day's follow-up. It reuses the background paragraph
# and the flood-stage figures verbatim, as follow-ups do.
FOLLOW_UP = """\
HARBOR CITY (AP) — Residents of the Eastbank neighborhood began returning home on Thursday as the \
Calder River slowly receded, finding mud-caked basements, ruined furniture and streets still \
littered with sandbags.

The river dropped below 27 feet by Thursday morning, still about five feet above flood stage, \
according to the National Weather Service. City inspectors said about 180 homes had water on the \
first floor and that 12 would need structural checks before anyone could move back in.

"It's heartbreaking, but we're grateful the levee held," said Marcus Bell, 54, who was hauling a \
soaked couch to the curb. "Another foot and the whole street would have been gone."

Mayor Linda Okafor said the city would waive permit fees for flood repairs and asked the governor \
to request a federal disaster declaration, which would make residents eligible for low-interest \
loans and grants.

The last comparable flood, in 1986, damaged more than 1,100 homes and led to the construction of \
the current levee system, which was upgraded in 2011 at a cost of $48 million.
"""

# Same event, a different outlet's own reporting, quoting the same official statement.
LOCAL_ANGLE = """\
For the owners of the small shops along Millpond Avenue, the week has been a race against the \
water. By Monday evening, most had moved their stock to upper floors or to relatives' garages, \
and several stayed behind until police asked them to leave.

"We are asking people to take this seriously and to stay away from the water," Mayor Linda \
Okafor told reporters at a briefing outside City Hall.

Rosa Delgado, who has run a bakery on the avenue for 22 years, said she lost two freezers and \
most of her flour in 1986 and was not going to let it happen again. Her neighbors, a hardware \
store and a barber, spent Sunday night stacking sandbags in front of their doors.

The business association said it would open a relief fund for shop owners who are not covered \
by flood insurance, which many small businesses in the area dropped after premiums rose sharply \
in 2019. The fund will be managed by the community foundation, and donations can be made online \
or at any branch of the Harbor City Credit Union.
"""

# Unrelated, for good measure: a budget story.
OTHER = """\
The city council approved a $412 million budget on Tuesday after a long debate about school \
funding, road repairs and the cost of the new police contract. The vote was 7 to 2.

Council members added $3.5 million for after-school programs, paid for by delaying the \
renovation of the municipal golf course, and asked the finance department to report every quarter \
on overtime spending. The budget takes effect on July 1.
"""
