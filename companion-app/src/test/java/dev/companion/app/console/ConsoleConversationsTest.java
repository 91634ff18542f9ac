package dev.companion.app.console;

import dev.companion.core.model.ConversationId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat list on the left: a new chat, switching, renaming, deleting with a confirmation and
 * searching, kept current with what other tabs and clients do; on a phone it folds into a menu.
 */
class ConsoleConversationsTest extends ScriptedConsoleTest {

    @AfterEach
    void backToDesktop() {
        chromium.desktop();
    }

    @Test
    void new_chat_switch_rename_search_and_delete() throws Exception {
        page.open(server.console());
        server.model.script("A plan for Kyoto.");
        page.type("Plan a trip to Kyoto", Keys.ENTER);
        page.awaitItemText(1, "A plan for Kyoto.");
        page.await("the chat named by its first message", d -> titles().contains("Plan a trip to Kyoto"));
        assertThat(page.text("#conversation-heading")).isEqualTo("Plan a trip to Kyoto");

        page.element("#new-chat").click();
        page.await("a new, empty chat", d -> "New chat".equals(page.text("#conversation-heading"))
                && page.shownSequences().isEmpty());
        String newId = currentId();
        assertThat(newId).isNotEqualTo("default");
        assertThat((String) page.script("return location.hash;")).isEqualTo("#c=" + newId);
        page.await("focus in the box", d -> "message".equals(page.script("return document.activeElement.id;")));
        // A second click on an empty chat makes no second empty chat.
        page.element("#new-chat").click();
        assertThat(currentId()).isEqualTo(newId);

        // A reply in this chat streams, piece by piece, like one in the first.
        page.type("A recipe for miso soup", Keys.ENTER);
        server.model.awaitCall();
        server.model.emit("Dashi first, ");
        page.awaitPendingText("Dashi first,");
        server.model.emit("then miso.");
        page.awaitPendingText("Dashi first, then miso.");
        server.model.finish();
        page.awaitItemText(1, "Dashi first, then miso.");
        page.await("both chats, newest first", d -> titles().equals(List.of("A recipe for miso soup", "Plan a trip to Kyoto")));

        clickInRow("Plan a trip to Kyoto", ".conv-open");
        page.awaitItemText(1, "A plan for Kyoto.");
        assertThat(currentId()).isEqualTo("default");
        assertThat(page.text("#conversation-heading")).isEqualTo("Plan a trip to Kyoto");

        // Rename, in a dialog.
        clickInRow("Plan a trip to Kyoto", ".conv-rename");
        page.await("the rename dialog", d -> page.visible("#dialog-input"));
        WebElement title = page.element("#dialog-input");
        title.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Kyoto in spring", Keys.ENTER);
        page.await("the new title", d -> titles().contains("Kyoto in spring")
                && "Kyoto in spring".equals(page.text("#conversation-heading")));
        assertThat(server.runtime.conversations().get(ConversationId.DEFAULT).orElseThrow().title()).contains("Kyoto in spring");

        // Search narrows the list; clearing it brings every chat back.
        page.element("#search").sendKeys("miso");
        page.await("only the soup", d -> titles().equals(List.of("A recipe for miso soup")));
        page.element("#search").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        page.await("both again", d -> titles().size() == 2);

        // Delete asks first; Cancel keeps the chat.
        clickInRow("A recipe for miso soup", ".conv-delete");
        page.await("the confirmation", d -> page.visible("#dialog-confirm"));
        assertThat(page.text("#dialog-title")).isEqualTo("Delete chat?");
        page.element("#dialog-cancel").click();
        page.await("the dialog closed", d -> !page.visible("#dialog"));
        assertThat(titles()).contains("A recipe for miso soup");
        clickInRow("A recipe for miso soup", ".conv-delete");
        page.await("the confirmation", d -> page.visible("#dialog-confirm"));
        page.element("#dialog-confirm").click();
        page.await("the chat gone", d -> titles().equals(List.of("Kyoto in spring")));
        assertThat(server.runtime.conversations().get(new ConversationId(newId))).isEmpty();

        // A reload opens the chat last open here.
        page.open(server.console());
        page.awaitItemText(1, "A plan for Kyoto.");
        assertThat(page.text("#conversation-heading")).isEqualTo("Kyoto in spring");
    }

    @Test
    void chats_made_renamed_and_deleted_elsewhere_show_at_once() throws Exception {
        page.open(server.console());
        String id = (String) http("POST", "/api/conversations", "{\"title\":\"From another tab\"}").body()
                .replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
        page.await("the chat made elsewhere", d -> titles().contains("From another tab"));
        clickInRow("From another tab", ".conv-open");
        page.await("it open", d -> "From another tab".equals(page.text("#conversation-heading")));

        http("PATCH", "/api/conversations/" + id, "{\"title\":\"Renamed elsewhere\"}");
        page.await("the new name", d -> "Renamed elsewhere".equals(page.text("#conversation-heading"))
                && titles().contains("Renamed elsewhere"));

        http("DELETE", "/api/conversations/" + id, null);
        page.await("the page to leave the deleted chat", d -> !titles().contains("Renamed elsewhere")
                && "default".equals(currentId()));
    }

    @Test
    void on_a_phone_the_list_folds_into_a_menu() {
        chromium.phone();
        page.open(server.console());
        assertThat(page.visible("#sidebar .conv-open, #new-chat")).as("the list folded away").isFalse();
        assertThat(page.visible("#menu-toggle")).isTrue();
        page.element("#menu-toggle").click();
        page.await("the list", d -> page.visible("#new-chat"));
        assertThat(page.element("#menu-toggle").getAttribute("aria-expanded")).isEqualTo("true");
        chromium.screenshot(java.nio.file.Path.of("target", "console-shots", "chats-phone-light.png"));
        page.element("#new-chat").click();
        page.await("the list folded again", d -> !page.visible("#new-chat"));
        assertThat(page.element("#menu-toggle").getAttribute("aria-expanded")).isEqualTo("false");
    }

    private String currentId() {
        return (String) page.script("return localStorage.getItem('companion-console.conversation');");
    }

    private List<String> titles() {
        List<?> raw = (List<?>) page.script("return [...document.querySelectorAll('#conversation-list .conv-title')]"
                + ".map(e => e.textContent);");
        return raw.stream().map(String::valueOf).toList();
    }

    /** Clicks a button of a chat's row; a row that the list rebuilt meanwhile is looked up again. */
    private void clickInRow(String title, String css) {
        page.await("a click on " + css + " of " + title, d -> {
            try {
                row(title).findElement(By.cssSelector(css)).click();
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
        });
    }

    private WebElement row(String title) {
        return page.await("the row " + title, d -> {
            try {
                return d.findElements(By.cssSelector("#conversation-list li")).stream()
                        .filter(li -> li.findElement(By.cssSelector(".conv-title")).getAttribute("textContent").equals(title))
                        .findFirst().orElse(null);
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                return null;
            }
        });
    }

    private HttpResponse<String> http(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.server.baseUri() + path.substring(1)))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json");
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(200, 299);
        return response;
    }
}
