import { SessionKind } from "../common/enums.js";

/*
 * The MBT Basic Training course, fact for fact from the Anna Freud Centre's course page
 * (../shared/reference/course-page.txt). Used by the demo seed and by the tests.
 */

export const mbtTimeZone = "America/Los_Angeles";

export const mbtSummary =
  "The MBT Basic Training one-month course: 18 hours of live, instructor-led content (including breaks) and 21 hours of self-guided content. " +
  "Delivered in partnership with Mentalizing Initiative Los Angeles.";

export const mbtDescription = `Mentalizing refers to our ability to attend to, and understand our own actions and those of others on the basis of, mental states. This is the focus of MBT, initially developed by Drs. Anthony Bateman and Peter Fonagy for the treatment of borderline personality disorder (BPD) but now used on a wide range of disorders. MBT was developed based on studies of early childhood development and attachment. In this course, participants will learn how to implement MBT techniques within their clinical practice as a specialist treatment.

Common clinical situations are discussed and 'role played' to practice skills. MBT requires therapists to focus on the patient's mental state and on their understanding of interactions with the patient. The therapist takes a 'not knowing' stance and yet explicitly develops with the patient or family alternative perspectives about what is happening. Participants will learn how to use their own experiences of the patient as a way of increasing mentalizing within therapeutic encounters. The course considers techniques, such as clarification, challenge and basic mentalizing in the context of some of the common clinical scenarios encountered in treatment with patients.

This workshop will equip participants to understand:
- How mentalizing handicaps derive from early parent-child interactions
- How mentalizing failures reflect and cause insecure attachments
- How psychotherapeutic interventions are efforts to correct mentalizing & attachment handicaps

Attendees will be required to do various tasks before, in-between and after the live, instructor-led sessions.

This course is jointly sponsored by Lifespan Learning Institute and The Mentalizing Initiative, which are responsible for the content.`;

export const mbtAudience = "This workshop is suitable for mental health and other professionals who are interested in the treatment of personality disorder.";

export const mbtLearningObjectives = [
  "Describe the derivation of the concept of mentalization and summarize the basic theory",
  "Differentiate mentalizing from cognitive behavioral psychodynamic and systemic psychotherapies",
  "Contrast implicit from explicit mentalization",
  "Explain the role of attachment in the development of mentalization",
  "Contrast non-mentalizing from mentalizing. Recognize the three social cognitive precursors to mentalization.",
  "Demonstrate use of the MBT therapist stance (i.e., not knowing)",
  "Distinguish the four poles of mentalizing",
  "Recognize in their patients reliance on the three antecedents to mentalizing (psychic equivalence, pretend mode, and teleological function) and alter their therapeutic stance to be able to manage them",
  "Compare and contrast empathic from sympathetic interactions",
  "Demonstrate ability to lower high levels of emotional arousal",
  "Demonstrate basic mentalizing techniques: empathy, clarification and exploration, “rewind,” “stop and stand,” and “challenge”",
  "Practice the use of affect focus and perspective-taking",
  "Recognize and formulate the interpersonal context underlying the loss of mentalizing",
  "Evaluate suicidality as a loss of mentalization in the context of an attachment relationship",
  "Construct a case formulation based on MBT developmental theory",
  "Compare and contrast traditional use of transference to the MBT use of the relationship",
  "Employ use of self-observation in work with a patient",
  "Recognize in patients with trauma the role of the alien self",
  "Implement the intervention algorithm of MBT",
  "Implement MBT techniques into a group therapy practice",
];

export const mbtEligibilityCriteria = [
  {
    text: "They should be qualified health professionals such as Mental Health Nurses, Occupational Therapists, Clinical/Counselling Psychologists, Psychiatrists and Social Workers, Psychotherapists.",
    required: true,
  },
  {
    text: "They will have undertaken a course of study, for example the KUF for personality disorder, and have a good working knowledge of theories underpinning the development of personality. This will cover psychodynamic, cognitive-behavioural, biological, systemic and social approaches.",
    required: true,
  },
  { text: "They will have a minimum of 1 years’ experience working therapeutically with people with personality disorder in teams or in individual or group work.", required: true },
  { text: "They will have undertaken supervised practice and be committed to professional standards and practice within an ethical framework.", required: true },
  { text: "It is desirable that they have personal experience of psychotherapy or counselling.", required: false },
];

export const mbtPrerequisite = {
  title: "Mentalizing and Mentalization Based Treatment with Adults (MBT Adult) – An Introduction",
  description:
    "A series of short videos that span four hours and cover the theory of MBT. It must be completed before the training start date: its content is not covered in the in-person training. " +
    "Access is given one month before the training start date, once full payment is received; ask if you need it sooner.",
  durationHours: 4,
  url: "https://www.annafreud.org/training/mbt-adult-introduction/",
  accessLeadDays: null,
};

export const uclaFacultyCenter = {
  name: "UCLA Faculty Center",
  address: { line1: "480 Charles E Young Dr E", city: "Los Angeles", region: "CA", postalCode: "90095", country: "US" },
  timeZone: mbtTimeZone,
  latitude: 34.0717,
  longitude: -118.4422,
  mapUrl: "https://www.openstreetmap.org/?mlat=34.0717&mlon=-118.4422#map=17/34.0717/-118.4422",
  accessibility: {
    adaCompliant: true,
    notes: "The UCLA Faculty Center is ADA compliant.",
    infoUrl: "https://www.facultycenter.ucla.edu/",
  },
};

export const mbtOrganisations = {
  annaFreud: { slug: "anna-freud-centre", name: "Anna Freud Centre", website: "https://www.annafreud.org/", phone: null, email: null },
  mila: { slug: "mentalizing-initiative-la", name: "Mentalizing Initiative Los Angeles", website: "https://www.mentalizinginitiative.org/", phone: "+1 310-859-7912", email: null },
  lifespan: { slug: "lifespan-learning-institute", name: "Lifespan Learning Institute", website: "https://www.lifespanlearn.org/", phone: null, email: null },
  tmi: { slug: "the-mentalizing-initiative", name: "The Mentalizing Initiative", website: "https://www.mentalizinginitiative.org/", phone: null, email: null },
};

export const mbtContact = { contactName: "Robin Kissell", contactPhone: "310-859-7912" };
export const mbtBookingUrl = "https://www.mentalizinginitiative.org/";

/** The three LIVE days of the 2023 run, 8:30 am – 4:30 pm local time. */
export const mbt2023Sessions = ["2023-10-04", "2023-10-05", "2023-10-06"].map((day, index) => ({
  title: `Day ${index + 1}: live, instructor-led training`,
  kind: SessionKind.LIVE,
  localStart: `${day}T08:30`,
  localEnd: `${day}T16:30`,
}));

/**
 * The course's continuing-education credit: the three live days (8 hours each, breaks
 * included, as the course page counts its 18 live hours), awarded for the time attended.
 * The statement names the joint sponsors exactly as the course page does.
 */
export const mbtCredit = {
  name: "CE hours",
  maxCredits: 18,
  increment: 0.25,
  statement:
    "This course is jointly sponsored by Lifespan Learning Institute and The Mentalizing Initiative, which are responsible for the content. " +
    "Up to 18 CE hours are awarded for the live, instructor-led sessions (three days of 8 hours, breaks included), in proportion to the time attended, in steps of 0.25 hours.",
};
