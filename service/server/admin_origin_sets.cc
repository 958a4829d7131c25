// AdminService: shared origin set RPCs. Admins write sets; every token reads
// them (a set is referenced by many tenants' policies, and each tenant's
// editors must see what their policy resolves to).
#include "service/common/status_macros.h"
#include "service/engine/tenant_names.h"
#include "service/server/admin_service.h"
#include "service/server/proto_records.h"

namespace corsd::server {

grpc::Status AdminService::PutOriginSet(grpc::ServerContext* context,
                                        const v1::PutOriginSetRequest* request,
                                        v1::OriginSet* response) {
  return Handle(
      context, "PutOriginSet", "", Permission::kAdmin, [&](const Principal& who) -> absl::Status {
        const v1::OriginSet& set = request->set();
        std::optional<int64_t> expected;
        if (request->has_expected_revision()) expected = request->expected_revision();
        ASSIGN_OR_RETURN(
            store::OriginSetRecord written,
            origin_set_writer_->Put({.name = set.name(),
                                     .origins = {set.origins().begin(), set.origins().end()},
                                     .description = set.description()},
                                    expected, request->comment(), {who.label}));
        ToOriginSetProto(written, response);
        return absl::OkStatus();
      });
}

grpc::Status AdminService::GetOriginSet(grpc::ServerContext* context,
                                        const v1::GetOriginSetRequest* request,
                                        v1::OriginSet* response) {
  return Handle(
      context, "GetOriginSet", "", Permission::kAnyToken, [&](const Principal&) -> absl::Status {
        RETURN_IF_ERROR(engine::ValidateOriginSetName(request->name()));
        ASSIGN_OR_RETURN(store::OriginSetRecord set, store_->GetOriginSet(request->name()));
        ToOriginSetProto(set, response);
        return absl::OkStatus();
      });
}

grpc::Status AdminService::ListOriginSets(grpc::ServerContext* context,
                                          const v1::ListOriginSetsRequest* request,
                                          v1::ListOriginSetsResponse* response) {
  return Handle(context, "ListOriginSets", "", Permission::kAnyToken,
                [&](const Principal&) -> absl::Status {
                  ASSIGN_OR_RETURN(store::Page<store::OriginSetRecord> page,
                                   store_->ListOriginSets({.page_size = request->page_size(),
                                                           .page_token = request->page_token()}));
                  for (const store::OriginSetRecord& set : page.items) {
                    ToOriginSetProto(set, response->add_sets());
                  }
                  response->set_next_page_token(page.next_page_token);
                  return absl::OkStatus();
                });
}

grpc::Status AdminService::DeleteOriginSet(grpc::ServerContext* context,
                                           const v1::DeleteOriginSetRequest* request,
                                           google::protobuf::Empty*) {
  return Handle(context, "DeleteOriginSet", "", Permission::kAdmin, [&](const Principal& who) {
    return origin_set_writer_->Delete(request->name(), {who.label});
  });
}

}  // namespace corsd::server
