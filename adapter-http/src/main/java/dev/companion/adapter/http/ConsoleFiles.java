package dev.companion.adapter.http;

import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;

/**
 * The web console's static files from the classpath: {@code /console} is its index page and
 * {@code /console/<file>} a file under the resource prefix, {@code /console/vendor/<path>} a file of
 * a WebJar ({@code META-INF/resources/webjars/<path>}); {@code /} redirects to the console.
 * No directory listings; a missing file is the API's JSON 404.
 */
final class ConsoleFiles {

    static final String PATH = "/console";
    /** Third-party browser libraries (WebJars) the console loads, under {@code /console/vendor/}. */
    static final String VENDOR_PATH = PATH + "/vendor";
    static final String WEBJARS = "META-INF/resources/webjars/";

    private final ResourceHandler resources;
    private final ResourceHandler vendor;

    ConsoleFiles(ClassLoader loader, String prefix) {
        this.resources = files(loader, prefix);
        this.vendor = files(loader, WEBJARS);
    }

    private static ResourceHandler files(ClassLoader loader, String prefix) {
        ResourceHandler handler = new ResourceHandler(new ClassPathResourceManager(loader, prefix), exchange -> {
            throw new Rejection(404, DiagnosticCode.NOT_FOUND, "There is nothing at this address.");
        });
        handler.setDirectoryListingEnabled(false);
        handler.setWelcomeFiles();
        return handler;
    }

    HttpHandler vendorFile() {
        return exchange -> {
            exchange.setRelativePath(exchange.getRequestPath().substring(VENDOR_PATH.length()));
            vendor.handleRequest(exchange);
        };
    }

    HttpHandler index() {
        return exchange -> serve(exchange, "/index.html");
    }

    HttpHandler file() {
        return exchange -> {
            String relative = exchange.getRequestPath().substring(PATH.length());
            serve(exchange, relative.equals("/") ? "/index.html" : relative);
        };
    }

    static HttpHandler redirectToConsole() {
        return exchange -> {
            exchange.setStatusCode(StatusCodes.FOUND);
            exchange.getResponseHeaders().put(Headers.LOCATION, PATH);
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
            exchange.endExchange();
        };
    }

    private void serve(HttpServerExchange exchange, String relativePath) throws Exception {
        exchange.setRelativePath(relativePath);
        resources.handleRequest(exchange);
    }
}
