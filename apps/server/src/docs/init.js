/* global window */
// The docs page's initializer: a served file, so the page runs under the app's CSP with no inline
// script. validatorUrl: null — Swagger UI would otherwise send the document to an outside validator.
window.addEventListener('load', function () {
  window.ui = window.SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    validatorUrl: null,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Credentials typed into "Authorize" live only in this page's memory.
    persistAuthorization: false,
  });
});
