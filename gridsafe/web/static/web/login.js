/* The login page (ES module; no inline script: CSP). Whoever signs in next, the field app (/m/) must learn from the
   server whose session it is before it opens anything kept on this phone: forget the account it last confirmed.
   Its per-account data stays where it is (field/static/field/app.js). */
try {
  localStorage.removeItem("gridsafe-field-user");
} catch (e) {
  /* storage disabled: the field app then asks the server anyway */
}
