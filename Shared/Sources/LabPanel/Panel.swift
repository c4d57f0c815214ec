import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import Logging

/// The exercise panel: one object holding what every route needs (configuration, pages, the run in progress,
/// the live graphs). `./lab panel` serves it; tests drive its router with HummingbirdTesting.
public final class Panel: Sendable {
    public let configuration: PanelConfiguration
    let pages: PanelPages
    let tiers: [String: TierRules]
    let runs: RunCoordinator
    let sampler: LiveSampler
    let files: RepositoryFiles
    let guides = GuideCache()

    public init(configuration: PanelConfiguration) async throws {
        self.configuration = configuration
        self.pages = try await PanelPages(folder: configuration.assets.appendingPathComponent("templates"))
        self.tiers = try TierRules.load(from: configuration.assets.appendingPathComponent("tiers.json"))
        self.runs = RunCoordinator(configuration: configuration)
        self.sampler = LiveSampler(interval: configuration.sampleInterval)
        self.files = RepositoryFiles(root: configuration.paths.root)
    }

    /// Every route, behind the security middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: PanelSecurityMiddleware(token: self.configuration.csrfToken))
        self.addPageRoutes(to: router)
        self.addRunRoutes(to: router)
        self.addLearnerRoutes(to: router)
        self.addFileRoutes(to: router)
        return router
    }

    /// The application `./lab panel` runs.
    public func application(logger: Logger) -> some ApplicationProtocol {
        Application(
            router: self.router(),
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port), serverName: "lab-panel"),
            logger: logger
        )
    }

    // MARK: - What every route looks up

    func scenarios() -> [Scenario] {
        self.configuration.paths.scenarioFolders().compactMap { try? Scenario(folder: $0) }
    }

    /// The scenario named by the route's `number` parameter, or a 404.
    func scenario(_ context: BasicRequestContext) throws -> Scenario {
        let number = context.parameters.get("number") ?? ""
        guard number.count == 2, number.allSatisfy(\.isNumber), let scenario = self.scenarios().first(where: { $0.number == number }) else {
            throw HTTPError(.notFound, message: "There is no scenario \(number) in this repository.")
        }
        return scenario
    }

    func rules(for scenario: Scenario) -> TierRules {
        Curriculum.tier(of: scenario.number).flatMap { self.tiers[$0] } ?? .fallback
    }

    func progress(_ scenario: Scenario) -> LearnerProgress.Scenario {
        self.configuration.progress.load().progress.scenarios[scenario.number] ?? LearnerProgress.Scenario()
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func message(_ title: String, _ text: String, status: HTTPResponse.Status, link: (href: String, label: String)? = nil) -> Response {
        let view = MessageView(title: title, text: text, linkHref: link?.href, linkLabel: link?.label)
        return self.html(self.pages.page("message", title: title, csrf: self.configuration.csrfToken, view), status: status)
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Whether the browser's script asked (it then wants a fragment or JSON, not a redirect).
    func fromScript(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("X-CSRF-Token")!] != nil
    }
}

struct MessageView {
    var title: String
    var text: String
    var linkHref: String?
    var linkLabel: String?
}
