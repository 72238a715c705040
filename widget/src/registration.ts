/*
 * The widget's entry point, served as /widget/v1/registration.js. A partner's page loads
 * it with <script type="module" src="…/widget/v1/registration.js"> and writes
 * <event-registration event="…" publishable-key="pk_…"><a href="…">Register</a></event-registration>.
 */
import { EventRegistrationElement } from "./element.js";

if (!customElements.get("event-registration")) customElements.define("event-registration", EventRegistrationElement);

export { EventRegistrationElement };
