// The API's own reference (/docs): Swagger UI 5 from the installed package, reading the
// OpenAPI 3.1 document this server serves. A file, so that the page needs no inline script.
"use strict";
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    tryItOutEnabled: false,
  });
});
