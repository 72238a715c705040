// The registrant's pages (/manage and /sign-in): plain DOM, no external assets. The token
// travels in the URL fragment, so it never reaches a server log. All text is set with
// textContent, never parsed as HTML.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var status = document.getElementById("status");
  var page = document.body.getAttribute("data-page");

  function say(text) {
    status.textContent = text;
  }

  function gql(query, variables, token) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    return fetch("/graphql", { method: "POST", headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var failure = new Error(body.errors[0].message);
          failure.code = body.errors[0].extensions && body.errors[0].extensions.code;
          throw failure;
        }
        return body.data;
      });
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  var MINE = "query { myRegistrations { id reference status checkInCode waitlistPosition offerExpiresAt event { title startDate endDate timeZone contact { name phone email } " +
    "sessions { title localStart localEnd timeZoneAbbreviation } venue { name address { line1 city region postalCode } mapUrl accessibility { adaCompliant notes } } prerequisite { title url accessOpensAt } payment { instructions } } " +
    "paymentUrl payment { amountDue { formatted } amountPaid { formatted } paidInFull } accessGrant { status scheduledFor grantedAt earlyAccessRequestedAt } } }";

  /*
   * Times as the emails show them ("Mon 4 Sep 2023, 8:30 am PDT"), always in the event's
   * zone, never in the reader's or in GMT. Instants are converted by the browser's Intl
   * with the event's IANA zone; sessions already come as wall-clock times in that zone.
   */
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  /** Like the server's zoneAbbreviation: American English first, then English locales that name more zones (BST, AEDT, IST). */
  var ZONE_NAME_LOCALES = ["en-US", "en-GB", "en-AU", "en-IN", "en-IE"];

  function part(parts, type) {
    for (var i = 0; i < parts.length; i++) if (parts[i].type === type) return parts[i].value;
    return "";
  }

  function zoneName(date, timeZone) {
    var fallback = null;
    for (var i = 0; i < ZONE_NAME_LOCALES.length; i++) {
      var name = part(new Intl.DateTimeFormat(ZONE_NAME_LOCALES[i], { timeZone: timeZone, timeZoneName: "short" }).formatToParts(date), "timeZoneName");
      if (!/^(GMT|UTC)[+-]/.test(name)) return name;
      fallback = fallback || name;
    }
    return fallback;
  }

  function clockTime(hour, minute) {
    return (hour % 12 || 12) + (minute ? ":" + (minute < 10 ? "0" : "") + minute : "") + (hour < 12 ? " am" : " pm");
  }

  function calendarDate(year, month, day) {
    return WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()] + " " + day + " " + MONTHS[month - 1] + " " + year;
  }

  /** "2023-10-04T08:30" → its parts. */
  function wallClock(local) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(local);
    return { year: +m[1], month: +m[2], day: +m[3], hour: +(m[4] || 0), minute: +(m[5] || 0) };
  }

  /** An instant (ISO string) in the event's zone: "Mon 4 Sep 2023, 8:30 am PDT". */
  function formatInstant(iso, timeZone) {
    var date = new Date(iso);
    var parts = new Intl.DateTimeFormat("en-US", { timeZone: timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", hourCycle: "h23" }).formatToParts(date);
    var hour = +part(parts, "hour") % 24;
    return calendarDate(+part(parts, "year"), +part(parts, "month"), +part(parts, "day")) + ", " + clockTime(hour, +part(parts, "minute")) + " " + zoneName(date, timeZone);
  }

  /** A session's wall-clock times: "Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT". */
  function formatSession(session) {
    var from = wallClock(session.localStart);
    var to = wallClock(session.localEnd);
    var sameDay = from.year === to.year && from.month === to.month && from.day === to.day;
    return calendarDate(from.year, from.month, from.day) + ", " + clockTime(from.hour, from.minute) + " – " +
      (sameDay ? "" : calendarDate(to.year, to.month, to.day) + ", ") + clockTime(to.hour, to.minute) + " " + session.timeZoneAbbreviation;
  }

  /** "4 Oct 2023", or "4 Oct 2023 – 6 Oct 2023" for a course over several days. */
  function formatDates(startDate, endDate) {
    var from = wallClock(startDate);
    var to = wallClock(endDate);
    var text = function (d) { return d.day + " " + MONTHS[d.month - 1] + " " + d.year; };
    return startDate === endDate ? text(from) : text(from) + " – " + text(to);
  }

  var STATUS_TEXT = {
    PENDING_REVIEW: "Application received: your eligibility is being reviewed.",
    AWAITING_PAYMENT: "Approved: your place is held until it is paid.",
    CONFIRMED: "Confirmed: your place is booked.",
    WAITLISTED: "On the waitlist.",
    REJECTED: "Not accepted.",
    CANCELLED: "Cancelled."
  };

  function renderRegistration(registration, token) {
    var section = el("section", null, { "aria-labelledby": "h-" + registration.id });
    var event = registration.event;
    var waitlisted = registration.status === "WAITLISTED";
    section.appendChild(el("h2", event.title + " (" + formatDates(event.startDate, event.endDate) + ")", { id: "h-" + registration.id }));
    section.appendChild(el("p", "Reference " + registration.reference + ". " + STATUS_TEXT[registration.status] +
      (registration.waitlistPosition ? " Position " + registration.waitlistPosition + "." : ""), { "data-testid": "status" }));
    if (registration.offerExpiresAt && (registration.status === "PENDING_REVIEW" || registration.status === "AWAITING_PAYMENT")) {
      section.appendChild(el("p", "A place has been offered to you from the waitlist. It is held for you until " + formatInstant(registration.offerExpiresAt, event.timeZone) +
        ": unless it is approved or paid by then, it passes to the next person waiting."));
    }
    if (registration.status === "CONFIRMED" && registration.checkInCode) section.appendChild(renderCheckIn(registration, token));
    var sessions = el("ul");
    event.sessions.forEach(function (session) {
      sessions.appendChild(el("li", session.title + ": " + formatSession(session)));
    });
    section.appendChild(sessions);
    if (event.venue) {
      var venue = event.venue;
      var notes = venue.accessibility.notes || "";
      // Venues often say it in their own notes already ("The centre is ADA compliant."): once is enough.
      var ada = venue.accessibility.adaCompliant && !/\bADA[- ]compliant\b/i.test(notes);
      section.appendChild(el("p", venue.name + ", " + venue.address.line1 + ", " + venue.address.city + (ada ? ". ADA compliant." : ".") + (notes ? " " + notes : "")));
      if (venue.mapUrl) section.appendChild(el("a", "Map of " + venue.name, { href: venue.mapUrl }));
    }
    // Someone on the waitlist holds no place yet: nothing is due, and "Paid $0.00" reads like a bill.
    if (!waitlisted) section.appendChild(el("p", "Paid " + registration.payment.amountPaid.formatted + " of " + registration.payment.amountDue.formatted + "."));
    // Only while money is due (as payment-link.ts decides): the booking partner's payment page
    // (the API gives paymentUrl then only), and the event's instructions, which may be all
    // there is (a bank transfer).
    var moneyDue = !registration.payment.paidInFull && ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED"].indexOf(registration.status) >= 0;
    if (registration.paymentUrl) {
      var pay = el("p");
      pay.appendChild(el("a", "Pay online (reference " + registration.reference + ")", { href: registration.paymentUrl }));
      section.appendChild(pay);
    }
    if ((registration.paymentUrl || moneyDue) && event.payment && event.payment.instructions) {
      section.appendChild(el("p", event.payment.instructions, { class: "payment-instructions" }));
    }
    if (event.prerequisite) section.appendChild(renderAccess(registration, event));
    if (event.contact && (event.contact.name || event.contact.phone || event.contact.email)) section.appendChild(renderContact(event.contact));

    var active = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"].indexOf(registration.status) >= 0;
    if (active && !waitlisted && event.prerequisite && registration.accessGrant.status !== "GRANTED" && !registration.accessGrant.earlyAccessRequestedAt) {
      var form = el("form");
      var label = el("label", "Why do you need the online course earlier?", { for: "reason-" + registration.id });
      var reason = el("textarea", null, { id: "reason-" + registration.id, required: "required", maxlength: "2000" });
      form.appendChild(label);
      form.appendChild(reason);
      form.appendChild(el("button", "Ask for early access", { type: "submit" }));
      form.addEventListener("submit", function (submit) {
        submit.preventDefault();
        gql("mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { userErrors { message } } }",
          { input: { registrationId: registration.id, reason: reason.value } }, token)
          .then(function (data) { return report(data.requestEarlyAccess, "Your request was sent.", token); })
          .catch(function (error) { say(error.message); });
      });
      section.appendChild(form);
    }
    if (active) {
      var cancel = el("button", "Cancel this registration", { type: "button" });
      cancel.addEventListener("click", function () {
        if (!window.confirm("Cancel your place on " + event.title + "?")) return;
        gql("mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { userErrors { message } } }", { input: { registrationId: registration.id } }, token)
          .then(function (data) { return report(data.cancelRegistration, "Your registration is cancelled.", token); })
          .catch(function (error) { say(error.message); });
      });
      section.appendChild(cancel);
    }
    return section;
  }

  /** The check-in code, and its QR code fetched with the page's own token (an <img> could not send it). */
  function renderCheckIn(registration, token) {
    var box = el("div", null, { "data-testid": "check-in" });
    box.appendChild(el("h3", "Your check-in code"));
    box.appendChild(el("p", "Show this at the door each day: staff scan it to record your attendance. Code: " + registration.checkInCode));
    fetch("/registrations/" + encodeURIComponent(registration.id) + "/check-in-qr.svg", { headers: { authorization: "Bearer " + token } })
      .then(function (response) { return response.ok ? response.blob() : null; })
      .then(function (blob) {
        if (!blob) return;
        box.appendChild(el("img", null, { src: URL.createObjectURL(blob), width: "200", height: "200", alt: "QR code of your check-in code " + registration.checkInCode }));
      })
      .catch(function () { /* the code itself is shown above */ });
    return box;
  }

  function renderAccess(registration, event) {
    var access = registration.accessGrant;
    var course = event.prerequisite;
    var paragraph = el("p");
    if (access.status === "GRANTED") {
      paragraph.appendChild(document.createTextNode("Your access to the online course is open: "));
      paragraph.appendChild(course.url ? el("a", course.title, { href: course.url }) : document.createTextNode(course.title));
      paragraph.appendChild(document.createTextNode("."));
      return paragraph;
    }
    var text = access.status === "SCHEDULED" ? "Your access to the online course opens on " + formatInstant(access.scheduledFor, event.timeZone) + "." :
      access.status === "REVOKED" ? "Access to the online course was withdrawn." :
      registration.status === "WAITLISTED" ? "Access to the online course opens once you have a place and it is paid in full." :
      "Access to the online course opens once your place is paid in full.";
    if (access.earlyAccessRequestedAt) text += " You asked for early access on " + formatInstant(access.earlyAccessRequestedAt, event.timeZone) + ".";
    paragraph.textContent = text;
    return paragraph;
  }

  function renderContact(contact) {
    var paragraph = el("p", "Questions: ");
    var means = [];
    if (contact.name) means.push(document.createTextNode(contact.name));
    if (contact.phone) means.push(el("a", contact.phone, { href: "tel:" + contact.phone.replace(/[^+0-9]/g, "") }));
    if (contact.email) means.push(el("a", contact.email, { href: "mailto:" + contact.email }));
    means.forEach(function (node, index) {
      if (index) paragraph.appendChild(document.createTextNode(", "));
      paragraph.appendChild(node);
    });
    return paragraph;
  }

  function report(payload, success, token) {
    if (payload.userErrors.length) say(payload.userErrors.map(function (e) { return e.message; }).join(" "));
    else say(success);
    return show(token);
  }

  /** Bumped for every link opened: an answer for an earlier link must not replace a later one. */
  var generation = 0;

  function show(token) {
    var asked = generation;
    return gql(MINE, {}, token).then(function (data) {
      if (asked !== generation) return;
      main.textContent = "";
      if (!data.myRegistrations.length) main.appendChild(el("p", "No registrations."));
      data.myRegistrations.forEach(function (registration) { main.appendChild(renderRegistration(registration, token)); });
    });
  }

  function askForLink() {
    main.textContent = "";
    var form = el("form");
    form.appendChild(el("label", "Your email address", { for: "email" }));
    var email = el("input", null, { id: "email", type: "email", required: "required", autocomplete: "email" });
    form.appendChild(email);
    form.appendChild(el("button", "Email me a sign-in link", { type: "submit" }));
    form.addEventListener("submit", function (submit) {
      submit.preventDefault();
      gql("mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { message } } }", { email: email.value })
        .then(function () { say("If this address has registrations, a sign-in link is on its way. It works once, for 20 minutes."); })
        .catch(function (error) { say(error.message); });
    });
    main.appendChild(form);
  }

  function confirmNewsletter(token) {
    var confirming = page === "newsletter-confirm";
    var mutation = confirming ? "confirmNewsletterSubscription" : "unsubscribeFromNewsletter";
    main.textContent = "";
    return gql("mutation ($token: String!) { " + mutation + "(token: $token) { ok userErrors { message } } }", { token: token })
      .then(function (data) {
        var result = data[mutation];
        say(result.ok ? (confirming ? "Thank you: your subscription is confirmed." : "You are unsubscribed.") : result.userErrors.map(function (e) { return e.message; }).join(" "));
      });
  }

  function signIn(token) {
    return gql("mutation ($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { message } } }", { token: token }).then(function (data) {
      var result = data.signInWithLink;
      if (result.userErrors.length) {
        say(result.userErrors[0].message);
        return askForLink();
      }
      sessionStorage.setItem("registrantSession", result.sessionToken);
      return show(result.sessionToken);
    });
  }

  /** Reads the token from the fragment, takes it out of the address bar, and shows what it opens. */
  function start() {
    var token = decodeURIComponent(window.location.hash.slice(1));
    if (window.location.hash) history.replaceState(null, "", window.location.pathname);
    generation += 1;
    say("");
    main.textContent = "";
    main.appendChild(el("p", "Loading…"));
    var run;
    if (page === "newsletter-confirm" || page === "newsletter-unsubscribe") {
      run = confirmNewsletter(token);
    } else if (page === "manage") {
      run = token ? show(token) : Promise.resolve(askForLink());
    } else if (token) {
      run = signIn(token);
    } else {
      var saved = sessionStorage.getItem("registrantSession");
      run = saved ? show(saved).catch(function () { sessionStorage.removeItem("registrantSession"); askForLink(); }) : Promise.resolve(askForLink());
    }
    run.catch(function (error) {
      // An expired or unknown link: say so, and offer a fresh sign-in link by email at once.
      if (error.code === "UNAUTHENTICATED" && page !== "newsletter-confirm" && page !== "newsletter-unsubscribe") askForLink();
      say(error.message);
    });
  }

  // A second link opened in the same tab changes only the fragment: no reload, so listen for it.
  window.addEventListener("hashchange", function () {
    if (window.location.hash.length > 1) start();
  });
  start();
})();
