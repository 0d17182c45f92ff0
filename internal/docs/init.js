// Starts Swagger UI on the page that /docs/ serves. It is a file of its own,
// not an inline script, so that the page's Content-Security-Policy can forbid
// inline scripts.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    deepLinking: true,
    // Keep the API key or token a user entered under Authorize across reloads.
    persistAuthorization: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    filter: true,
    // The default validator is a third-party service: the page stays offline.
    validatorUrl: null,
  });
})();
