package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.Companion;
import dev.companion.core.ConversationPage;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.TurnId;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The conversations on a server, driven over its HTTP API ({@code /api/conversations} and
 * {@code /api/events}): the same port as the runtime's, so the CLI's {@code --url} works with
 * conversations as it does in-process. An unknown conversation is
 * {@link ConversationNotFoundException}, rejected input {@code InvalidRequestException} with the
 * server's diagnostic, a server that does not answer {@code server_unreachable}.
 */
final class HttpConversations implements Conversations {

    private static final String PATH = "api/conversations";

    private final HttpTransport transport;
    private final RemoteEvents events;

    HttpConversations(HttpTransport transport) {
        this.transport = transport;
        this.events = new RemoteEvents(transport, List.of("api/events"), List.of("api/events"), this::latestCursor,
                event -> true, Optional.empty());
    }

    @Override
    public Conversation create(CreateConversationCommand command) {
        String body = command.title().map(title -> Json.write(Map.of("title", title))).orElse("{}");
        return WireReader.conversation(transport.expect(transport.post(PATH, body), 201, Optional.empty())
                .path("conversation"));
    }

    @Override
    public ConversationPage list(ConversationQuery query) {
        return WireReader.conversationPage(listJson(query));
    }

    private JsonNode listJson(ConversationQuery query) {
        StringBuilder path = new StringBuilder(PATH).append("?limit=").append(query.limit());
        query.search().ifPresent(search -> path.append("&search=").append(encode(search)));
        query.cursor().ifPresent(cursor -> path.append("&cursor=").append(encode(cursor)));
        return transport.expect(transport.get(path.toString()), 200, Optional.empty());
    }

    @Override
    public Optional<Conversation> get(ConversationId id) {
        try {
            return Optional.of(WireReader.conversation(transport.expect(transport.get(path(id)), 200,
                    Optional.of(id)).path("conversation")));
        } catch (ConversationNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public Conversation rename(RenameConversationCommand command) {
        return WireReader.conversation(transport.expect(transport.patch(path(command.id()),
                Json.write(Map.of("title", command.title()))), 200, Optional.of(command.id())).path("conversation"));
    }

    @Override
    public DeleteResult delete(ConversationId id) {
        HttpTransport.Answer answer = transport.delete(path(id));
        JsonNode body = answer.body();
        if (answer.status() == 409 && body != null && WireReader.state(body.path("state")) == CompanionState.BUSY
                && body.hasNonNull("running_turn_id")) {
            return new DeleteResult.Busy(new TurnId(body.path("running_turn_id").asText()),
                    WireReader.diagnostics(body));
        }
        transport.expect(answer, 200, Optional.of(id));
        return new DeleteResult.Deleted(id);
    }

    /**
     * The conversation as a {@link Companion} over HTTP. The default one always opens (a server
     * creates it the first time); any other must exist, as in-process.
     */
    @Override
    public Companion open(ConversationId id) {
        if (!id.equals(ConversationId.DEFAULT) && get(id).isEmpty()) {
            throw new ConversationNotFoundException(id);
        }
        return new HttpCompanion(transport, id);
    }

    /** The newest event cursor, as the conversation list reports it. */
    @Override
    public long latestCursor() {
        return listJson(new ConversationQuery(Optional.empty(), Optional.empty(), 1)).path("latest_cursor").asLong();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        return events.eventsAfter(cursor, max);
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        return events.subscribe(cursor, listener);
    }

    private static String path(ConversationId id) {
        return PATH + "/" + id.value();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
