/// The browser client's files (`App/`), built into the binary so that a release build serves
/// the client with no other file present. SwiftPM embeds each file as a byte array named after
/// its base name (`PackageResources.chat_js`), so base names are unique across `App/`; this
/// table gives each its path there. `WebClientFilesTests` fails when a file is missing from it.
public enum WebClientFiles {
    /// Every file of `App/`, by its path relative to `App/`.
    public static let all: [String: [UInt8]] = [
        "api.js": PackageResources.api_js,
        "app.js": PackageResources.app_js,
        "connection.js": PackageResources.connection_js,
        "dom.js": PackageResources.dom_js,
        "i18n.js": PackageResources.i18n_js,
        "icon.svg": PackageResources.icon_svg,
        "index.html": PackageResources.index_html,
        "media.js": PackageResources.media_js,
        "notifications.js": PackageResources.notifications_js,
        "outbox.js": PackageResources.outbox_js,
        "session.js": PackageResources.session_js,
        "store.js": PackageResources.store_js,
        "strings.js": PackageResources.strings_js,
        "styles.css": PackageResources.styles_css,
        "sync.js": PackageResources.sync_js,
        "views/chat.js": PackageResources.chat_js,
        "views/contacts.js": PackageResources.contacts_js,
        "views/conversation-list.js": PackageResources.conversation_list_js,
        "views/dialog.js": PackageResources.dialog_js,
        "views/group-info.js": PackageResources.group_info_js,
        "views/inbox.js": PackageResources.inbox_js,
        "views/login.js": PackageResources.login_js,
        "views/new-chat.js": PackageResources.new_chat_js,
        "views/search.js": PackageResources.search_js,
        "views/settings.js": PackageResources.settings_js,
    ]
}
