package dev.companion.adapter.http;

import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.Resource;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.server.handlers.resource.ResourceManager;
import io.undertow.util.CanonicalPathUtils;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;

import java.net.URL;

/**
 * The web console's static files from the classpath: {@code /console} is its index page and
 * {@code /console/<file>} a file under the resource prefix, {@code /console/vendor/<path>} a file of
 * a WebJar ({@code META-INF/resources/webjars/<path>}); {@code /} redirects to the console.
 * No directory listings: a directory, like a missing file, is the API's JSON 404.
 */
final class ConsoleFiles {

    static final String PATH = "/console";
    /** Third-party browser libraries (WebJars) the console loads, under {@code /console/vendor/}. */
    static final String VENDOR_PATH = PATH + "/vendor";
    static final String WEBJARS = "META-INF/resources/webjars/";

    private final Files resources;
    private final Files vendor;

    ConsoleFiles(ClassLoader loader, String prefix) {
        this.resources = new Files(loader, prefix);
        this.vendor = new Files(loader, WEBJARS);
    }

    /** Files under one classpath prefix; anything that is not a file there is the JSON 404. */
    private static final class Files {
        private final ClassLoader loader;
        private final String prefix;
        private final ResourceManager manager;
        private final ResourceHandler handler;

        Files(ClassLoader loader, String prefix) {
            this.loader = loader;
            this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
            this.manager = new ClassPathResourceManager(loader, prefix);
            this.handler = new ResourceHandler(manager, exchange -> {
                throw notFound();
            });
            handler.setDirectoryListingEnabled(false);
            handler.setWelcomeFiles();
        }

        void serve(HttpServerExchange exchange, String requested) throws Exception {
            String relativePath = CanonicalPathUtils.canonicalize(requested);
            // Undertow answers a directory with an empty 403, or a redirect to add the slash.
            if (!relativePath.startsWith("/") || relativePath.endsWith("/")) {
                throw notFound();
            }
            Resource resource = manager.getResource(relativePath);
            if (resource == null || isDirectory(resource, relativePath)) {
                throw notFound();
            }
            exchange.setRelativePath(relativePath);
            handler.handleRequest(exchange);
        }

        private boolean isDirectory(Resource resource, String relativePath) {
            if (resource.isDirectory()) {
                return true;
            }
            // A directory in a jar, named without its slash, looks like an empty file to Undertow;
            // the jar has an entry "<name>/" only for a directory.
            URL url = resource.getUrl();
            return url != null && url.getProtocol().equals("jar")
                    && loader.getResource(prefix + relativePath.substring(1) + "/") != null;
        }
    }

    private static Rejection notFound() {
        return new Rejection(404, DiagnosticCode.NOT_FOUND, "There is nothing at this address.");
    }

    HttpHandler vendorFile() {
        return exchange -> vendor.serve(exchange, exchange.getRequestPath().substring(VENDOR_PATH.length()));
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
        resources.serve(exchange, relativePath);
    }
}
