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
        if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
        return body.data;
      });
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  var MINE = "query { myRegistrations { id reference status waitlistPosition event { title startDate endDate timeZone contact { name phone email } " +
    "sessions { title localStart localEnd timeZoneAbbreviation } venue { name address { line1 city region postalCode } mapUrl accessibility { adaCompliant notes } } prerequisite { title accessOpensAt } } " +
    "payment { amountDue { formatted } amountPaid { formatted } paidInFull } accessGrant { status scheduledFor grantedAt earlyAccessRequestedAt } } }";

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
    section.appendChild(el("h2", event.title + " (" + event.startDate + " – " + event.endDate + ")", { id: "h-" + registration.id }));
    section.appendChild(el("p", "Reference " + registration.reference + ". " + STATUS_TEXT[registration.status] +
      (registration.waitlistPosition ? " Position " + registration.waitlistPosition + "." : ""), { "data-testid": "status" }));
    var sessions = el("ul");
    event.sessions.forEach(function (session) {
      sessions.appendChild(el("li", session.title + ": " + session.localStart.replace("T", " ") + " – " + session.localEnd.slice(11) + " " + session.timeZoneAbbreviation));
    });
    section.appendChild(sessions);
    if (event.venue) {
      var venue = event.venue;
      section.appendChild(el("p", venue.name + ", " + venue.address.line1 + ", " + venue.address.city + (venue.accessibility.adaCompliant ? ". ADA compliant." : ".") +
        (venue.accessibility.notes ? " " + venue.accessibility.notes : "")));
      if (venue.mapUrl) section.appendChild(el("a", "Map of " + venue.name, { href: venue.mapUrl }));
    }
    section.appendChild(el("p", "Paid " + registration.payment.amountPaid.formatted + " of " + registration.payment.amountDue.formatted + "."));
    if (event.prerequisite) {
      var access = registration.accessGrant;
      var accessText = access.status === "GRANTED" ? "Your access to the online course is open." :
        access.status === "SCHEDULED" ? "Your access to the online course opens on " + new Date(access.scheduledFor).toUTCString() + "." :
        access.status === "REVOKED" ? "Access to the online course was withdrawn." : "Access to the online course opens once your place is paid in full.";
      section.appendChild(el("p", accessText));
    }
    if (event.contact && event.contact.name) section.appendChild(el("p", "Questions: " + event.contact.name + (event.contact.phone ? ", " + event.contact.phone : "")));

    var active = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"].indexOf(registration.status) >= 0;
    if (active && event.prerequisite && registration.accessGrant.status !== "GRANTED" && !registration.accessGrant.earlyAccessRequestedAt) {
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

  function report(payload, success, token) {
    if (payload.userErrors.length) say(payload.userErrors.map(function (e) { return e.message; }).join(" "));
    else say(success);
    return show(token);
  }

  function show(token) {
    return gql(MINE, {}, token).then(function (data) {
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

  var token = decodeURIComponent(window.location.hash.slice(1));
  if (page === "newsletter-confirm" || page === "newsletter-unsubscribe") {
    if (window.location.hash) history.replaceState(null, "", window.location.pathname);
    var confirming = page === "newsletter-confirm";
    var mutation = confirming ? "confirmNewsletterSubscription" : "unsubscribeFromNewsletter";
    main.textContent = "";
    gql("mutation ($token: String!) { " + mutation + "(token: $token) { ok userErrors { message } } }", { token: token })
      .then(function (data) {
        var result = data[mutation];
        say(result.ok ? (confirming ? "Thank you: your subscription is confirmed." : "You are unsubscribed.") : result.userErrors.map(function (e) { return e.message; }).join(" "));
      })
      .catch(function (error) { say(error.message); });
    return;
  }
  if (window.location.hash) history.replaceState(null, "", window.location.pathname);
  var run;
  if (page === "manage") {
    run = token ? show(token) : Promise.resolve(askForLink());
  } else if (token) {
    run = gql("mutation ($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { message } } }", { token: token }).then(function (data) {
      var result = data.signInWithLink;
      if (result.userErrors.length) {
        say(result.userErrors[0].message);
        return askForLink();
      }
      sessionStorage.setItem("registrantSession", result.sessionToken);
      return show(result.sessionToken);
    });
  } else {
    var saved = sessionStorage.getItem("registrantSession");
    run = saved ? show(saved).catch(function () { sessionStorage.removeItem("registrantSession"); askForLink(); }) : Promise.resolve(askForLink());
  }
  run.catch(function (error) { say(error.message); });
})();
