// PersistentMap against a std::map model: random changes to many copies at
// once must leave every copy equal to its own model (persistence), through
// hash collisions of every depth and the folding Erase does.
#include "service/common/persistent_map.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd {
namespace {

// Only a few distinct hashes: most keys collide completely (a collision node
// at the bottom) and the rest share long prefixes (deep chains of children).
struct WeakHash {
  uint64_t operator()(absl::string_view key) const {
    uint64_t h = 0;
    for (char c : key) h = h * 31 + static_cast<unsigned char>(c);
    return (h % 7) << 59 | (h % 3);
  }
};

template <typename Map>
std::map<std::string, int> Contents(const Map& map) {
  std::map<std::string, int> out;
  map.ForEach([&](const typename Map::Entry& entry) {
    EXPECT_TRUE(out.emplace(entry.key, entry.value).second) << "duplicate " << entry.key;
  });
  return out;
}

template <typename Map>
void ExpectEqual(const Map& map, const std::map<std::string, int>& model) {
  ASSERT_EQ(map.size(), model.size());
  EXPECT_EQ(Contents(map), model);
  for (const auto& [key, value] : model) {
    const int* found = map.Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, value) << key;
  }
}

template <typename Map>
void RandomCopiesStayIndependent() {
  std::mt19937 random(7);
  std::vector<Map> maps(4);
  std::vector<std::map<std::string, int>> models(4);
  for (int step = 0; step < 20000; ++step) {
    const size_t which = random() % maps.size();
    const std::string key = absl::StrCat("k", random() % 300);
    switch (random() % 5) {
      case 0:  // a copy of another map, which both then change separately
        maps[which] = maps[(which + 1) % maps.size()];
        models[which] = models[(which + 1) % maps.size()];
        break;
      case 1:
        EXPECT_EQ(maps[which].Erase(key), models[which].erase(key) == 1);
        break;
      default:
        maps[which].Set(key, step);
        models[which][key] = step;
    }
    if (step % 997 == 0) {
      for (size_t i = 0; i < maps.size(); ++i) ExpectEqual(maps[i], models[i]);
    }
  }
  for (size_t i = 0; i < maps.size(); ++i) ExpectEqual(maps[i], models[i]);
  // Erasing everything leaves an empty map, whatever the order.
  for (const auto& [key, value] : models[0]) EXPECT_TRUE(maps[0].Erase(key));
  EXPECT_TRUE(maps[0].empty());
  EXPECT_EQ(maps[0].Find("k1"), nullptr);
}

TEST(PersistentMap, CopiesStayIndependent) { RandomCopiesStayIndependent<PersistentMap<int>>(); }

TEST(PersistentMap, CopiesStayIndependentThroughCollisions) {
  RandomCopiesStayIndependent<PersistentMap<int, WeakHash>>();
}

TEST(PersistentMap, BuilderChangesOnlyItsOwnNodes) {
  PersistentMap<int> base;
  for (int i = 0; i < 1000; ++i) base.Set(absl::StrCat("t", i), i);
  // A builder started from `base` rewrites many entries; base keeps its own.
  PersistentMap<int>::Builder builder(base);
  for (int i = 0; i < 1000; i += 2) builder.Set(absl::StrCat("t", i), -i);
  for (int i = 1; i < 1000; i += 4) EXPECT_TRUE(builder.Erase(absl::StrCat("t", i)));
  PersistentMap<int> built = std::move(builder).Build();
  PersistentMap<int> later = built;
  later.Set("t0", 42);  // after Build, changes copy again

  for (int i = 0; i < 1000; ++i) EXPECT_EQ(*base.Find(absl::StrCat("t", i)), i);
  EXPECT_EQ(built.size(), 750u);
  EXPECT_EQ(*built.Find("t0"), 0);
  EXPECT_EQ(*built.Find("t2"), -2);
  EXPECT_EQ(built.Find("t1"), nullptr);
  EXPECT_EQ(*built.Find("t3"), 3);
  EXPECT_EQ(*later.Find("t0"), 42);
}

TEST(PersistentMap, CursorVisitsEveryEntryOnceFromItsOwnCopy) {
  PersistentMap<int, WeakHash> map;
  for (int i = 0; i < 500; ++i) map.Set(absl::StrCat("c", i), i);
  PersistentMap<int, WeakHash>::Cursor cursor(map);
  map.Set("added-after", 1);  // the cursor walks the map as it was
  for (int i = 0; i < 500; i += 3) map.Erase(absl::StrCat("c", i));
  std::map<std::string, int> seen;
  while (const auto* entry = cursor.Next()) {
    EXPECT_TRUE(seen.emplace(entry->key, entry->value).second);
  }
  EXPECT_TRUE(cursor.AtEnd());
  EXPECT_EQ(seen.size(), 500u);
  EXPECT_EQ(seen.count("added-after"), 0u);
  EXPECT_EQ(PersistentMap<int>::Cursor(PersistentMap<int>()).Next(), nullptr);
  EXPECT_TRUE(PersistentMap<int>::Cursor(PersistentMap<int>()).AtEnd());
}

TEST(PersistentMap, AMovedFromMapIsEmpty) {
  PersistentMap<int> map;
  map.Set("a", 1);
  PersistentMap<int> moved = std::move(map);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_EQ(map.size(), 0u);  // NOLINT(bugprone-use-after-move): the point of the test
  map.Set("b", 2);
  EXPECT_EQ(map.size(), 1u);
}

// The bulk path with colliding hashes, started from another builder's map.
TEST(PersistentMap, BuildersThroughCollisions) {
  PersistentMap<int, WeakHash>::Builder first;
  for (int i = 0; i < 300; ++i) first.Set(absl::StrCat("b", i), i);
  PersistentMap<int, WeakHash> base = std::move(first).Build();
  PersistentMap<int, WeakHash>::Builder second(base);
  for (int i = 0; i < 300; i += 3) EXPECT_TRUE(second.Erase(absl::StrCat("b", i)));
  for (int i = 1; i < 300; i += 3) second.Set(absl::StrCat("b", i), -i);
  PersistentMap<int, WeakHash> changed = std::move(second).Build();
  std::map<std::string, int> expected_base, expected_changed;
  for (int i = 0; i < 300; ++i) {
    expected_base[absl::StrCat("b", i)] = i;
    if (i % 3 != 0) expected_changed[absl::StrCat("b", i)] = i % 3 == 1 ? -i : i;
  }
  ExpectEqual(base, expected_base);
  ExpectEqual(changed, expected_changed);
}

TEST(PersistentMap, ErasingAMissingKeyChangesNothing) {
  PersistentMap<int> map;
  map.Set("a", 1);
  EXPECT_FALSE(map.Erase("b"));
  EXPECT_EQ(map.size(), 1u);
  EXPECT_FALSE(PersistentMap<int>().Erase("a"));
}

// Keys that view their values' bytes: replacing a value must replace the
// key too, or the entry would keep a view into the value it dropped. Both a
// plain Set and a Builder, at the top level and in a collision list.
struct Named {
  std::string name;
  int version;
};
template <typename Hash>
void KeysFollowTheirValues() {
  using Map = PersistentMap<std::shared_ptr<const Named>, Hash, absl::string_view>;
  Map map;
  for (int i = 0; i < 100; ++i) {
    auto first = std::make_shared<const Named>(Named{absl::StrCat("tenant-", i), 1});
    map.Set(first->name, first);
  }
  typename Map::Builder builder(map);
  for (int i = 0; i < 100; i += 2) {
    auto second = std::make_shared<const Named>(Named{absl::StrCat("tenant-", i), 2});
    if (i % 4 == 0) {
      map.Set(second->name, second);
    } else {
      builder.Set(second->name, second);
    }
  }
  const Map built = std::move(builder).Build();
  for (const Map* m : std::initializer_list<const Map*>{&map, &built}) {
    m->ForEach([](const typename Map::Entry& entry) {
      EXPECT_EQ(entry.key.data(), entry.value->name.data()) << entry.value->name;
      EXPECT_EQ(entry.key, entry.value->name);
    });
  }
  EXPECT_EQ((*map.Find("tenant-4"))->version, 2);
  EXPECT_EQ((*map.Find("tenant-2"))->version, 1);
  EXPECT_EQ((*built.Find("tenant-2"))->version, 2);
  EXPECT_EQ((*built.Find("tenant-4"))->version, 1);
}

TEST(PersistentMap, StringViewKeysFollowTheirValues) {
  KeysFollowTheirValues<absl::Hash<absl::string_view>>();
}

TEST(PersistentMap, StringViewKeysFollowTheirValuesThroughCollisions) {
  KeysFollowTheirValues<WeakHash>();
}

}  // namespace
}  // namespace corsd
